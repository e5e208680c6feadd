<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- EGMS L3 velocity: diverging, centred on 0 mm/yr, on mean_velocity (blue = moving down/west, red = up/east);
     squares of one 100 m cell (map units). -->
<qgis version="3.22.16" styleCategories="Symbology">
  <renderer-v2 type="graduatedSymbol" attr="mean_velocity" graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">
    <ranges>
      <range lower="-1000" upper="-10" symbol="0" label="&lt; -10 mm/yr" render="true"/>
      <range lower="-10" upper="-5" symbol="1" label="-10 – -5 mm/yr" render="true"/>
      <range lower="-5" upper="-2.5" symbol="2" label="-5 – -2.5 mm/yr" render="true"/>
      <range lower="-2.5" upper="-1" symbol="3" label="-2.5 – -1 mm/yr" render="true"/>
      <range lower="-1" upper="1" symbol="4" label="-1 – 1 mm/yr" render="true"/>
      <range lower="1" upper="2.5" symbol="5" label="1 – 2.5 mm/yr" render="true"/>
      <range lower="2.5" upper="5" symbol="6" label="2.5 – 5 mm/yr" render="true"/>
      <range lower="5" upper="10" symbol="7" label="5 – 10 mm/yr" render="true"/>
      <range lower="10" upper="1000" symbol="8" label="&gt; 10 mm/yr" render="true"/>
    </ranges>
    <symbols>
      <symbol name="0" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="5,48,97,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="5,48,97,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="1" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="33,102,172,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="33,102,172,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="2" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="103,169,207,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="103,169,207,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="3" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="209,229,240,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="209,229,240,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="4" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="247,247,247,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="247,247,247,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="5" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="253,219,199,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="253,219,199,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="6" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="239,138,98,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="239,138,98,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="7" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="178,24,43,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="178,24,43,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
      <symbol name="8" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="103,0,31,255"/>
            <Option name="name" type="QString" value="square"/>
            <Option name="outline_style" type="QString" value="no"/>
            <Option name="size" type="QString" value="100"/>
            <Option name="size_unit" type="QString" value="MapUnit"/>
          </Option>
          <prop k="color" v="103,0,31,255"/>
          <prop k="name" v="square"/>
          <prop k="outline_style" v="no"/>
          <prop k="size" v="100"/>
          <prop k="size_unit" v="MapUnit"/>
        </layer>
      </symbol>
    </symbols>
    <mode name="manual"/>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <blendMode>0</blendMode>
</qgis>
